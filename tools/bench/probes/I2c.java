import ai.djl.ndarray.*;
import ai.djl.ndarray.types.*;
import ai.djl.pytorch.engine.PtNDManager;
import ai.djl.pytorch.jni.JniUtils;
import java.nio.*;
public class I2c {
  static double bench(Runnable r, int n, int w){ for(int i=0;i<w;i++) r.run(); double[] t=new double[n]; for(int i=0;i<n;i++){long s=System.nanoTime(); r.run(); t[i]=(System.nanoTime()-s)/1e6;} java.util.Arrays.sort(t); return t[n/2]; }
  static NDArray empty(NDArray like, Shape s){ return JniUtils.createEmptyNdArray((PtNDManager)like.getManager(), s, DataType.FLOAT32, like.getDevice(), SparseFormat.DENSE);}
  static NDArray im2col(NDArray x, int k, int s, int p) {
    Shape sh=x.getShape(); int C=(int)sh.get(1), H=(int)sh.get(2), W=(int)sh.get(3);
    int Ho=(H+2*p-k)/s+1, Wo=(W+2*p-k)/s+1;
    NDArray col=empty(x,new Shape(C*k*k, Ho*Wo));
    FloatBuffer in=x.toByteBuffer(true).order(ByteOrder.nativeOrder()).asFloatBuffer();
    FloatBuffer out=col.toByteBuffer(true).order(ByteOrder.nativeOrder()).asFloatBuffer();
    int hw=Ho*Wo;
    for (int c=0;c<C;c++) for(int ki=0;ki<k;ki++) for(int kj=0;kj<k;kj++){
      int row=((c*k+ki)*k+kj)*hw;
      for(int oy=0;oy<Ho;oy++){
        int iy=oy*s-p+ki; int o=row+oy*Wo;
        if(iy<0||iy>=H){ for(int ox=0;ox<Wo;ox++) out.put(o+ox,0f); continue;}
        int base=(c*H+iy)*W;
        if(s==1){
          int lo=Math.max(0,p-kj), hi=Math.min(Wo, W+p-kj); // ox range with valid ix
          for(int ox=0;ox<lo;ox++) out.put(o+ox,0f);
          out.put(o+lo, in, base+lo-p+kj, hi-lo);
          for(int ox=hi;ox<Wo;ox++) out.put(o+ox,0f);
        } else {
          for(int ox=0;ox<Wo;ox++){int ix=ox*s-p+kj; out.put(o+ox, ix<0||ix>=W?0f:in.get(base+ix));}
        }
      }
    }
    return col;
  }
  public static void main(String[] a) throws Exception {
    int threads=Integer.parseInt(a[0]);
    try (NDManager m = NDManager.newBaseManager()) {
      JniUtils.setNumThreads(threads);
      int[][] shapes={{64,64,56,1},{128,128,56,2},{128,128,28,1},{256,256,28,2},{256,256,14,1},{512,512,14,2},{512,512,7,1},{3,64,224,2}};
      double sc=0, sm=0;
      for (int[] s: shapes) {
        int k= s[0]==3?7:3, p=k/2;
        NDArray x=m.randomNormal(new Shape(1,s[0],s[2],s[2]));
        NDArray w=m.randomNormal(new Shape(s[1],s[0],k,k));
        NDArray b=m.randomNormal(new Shape(s[1]));
        NDArray w2=w.reshape(s[1],s[0]*k*k); NDArray b2=b.reshape(s[1],1);
        Shape st=new Shape(s[3],s[3]), pd=new Shape(p,p), dl=new Shape(1,1);
        NDArray ref=x.getNDArrayInternal().convolution(x,w,b,st,pd,dl,1).singletonOrThrow();
        int Ho=(int)ref.getShape().get(2);
        NDArray col=im2col(x,k,s[3],p); NDArray y0=w2.matMul(col).addi(b2).reshape(ref.getShape());
        float err=y0.sub(ref).abs().max().getFloat(); float mx=ref.abs().max().getFloat();
        double t=bench(()->{ NDArray y=x.getNDArrayInternal().convolution(x,w,b,st,pd,dl,1).singletonOrThrow(); y.close(); },40,10);
        double t1=bench(()->{ NDArray c=im2col(x,k,s[3],p); c.close();},40,10);
        double t2=bench(()->{ NDArray c=im2col(x,k,s[3],p); NDArray y=w2.matMul(c); y.addi(b2); y.close(); c.close();},40,10);
        sc+=t; sm+=t2;
        System.out.printf("%dx%d %d->%d @%d s%d: conv %.3f ms  im2col %.3f  im2col+mm %.3f  relerr %.2e%n",k,k,s[0],s[1],s[2],s[3],t,t1,t2,err/mx);
      }
      System.out.printf("sum conv %.2f gemm %.2f%n", sc, sm);
    }
  }
}
